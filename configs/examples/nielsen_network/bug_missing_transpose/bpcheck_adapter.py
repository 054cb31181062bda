from network import Network


def backward(weights, biases, x, y):  # one sample as columns; backprop returns (nabla_b, nabla_w)
    net = Network([x.shape[0]] + [w.shape[0] for w in weights])
    net.weights, net.biases = weights, biases
    return net.backprop(x, y)
