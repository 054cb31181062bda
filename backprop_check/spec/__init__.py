"""What the user asks for: a config file (and the data it names) read into a validated Config.

- :mod:`.config`: :func:`load_config`, the entry point: read, validate, locate errors once;
- :mod:`.files`, :mod:`.yaml_text`, :mod:`.reading`: regular files only, the text checked, then
  YAML into plain data with positions, within size, node and depth bounds;
- :mod:`.keys`: every key a config may hold, once (kind, bounds, choices, default, help);
- :mod:`.schema`: the loader's key lists and the checks every value goes through;
- :mod:`.json_schema`: the config's JSON Schema, generated from the key tables;
- :mod:`.sections`: the network's sections (layers, loss, check, formulas);
- :mod:`.data_section`, :mod:`.data`: the ``data:`` section and the Dataset it reads, from
  :mod:`.archives` (.npz) or :mod:`.tables` and :mod:`.labels` (.csv);
- :mod:`.formulas`: the formula language for a config's own activations and losses;
- :mod:`.model`: :class:`Config`, :class:`LayerSpec`, :class:`CheckOptions` as plain data;
- :mod:`.overrides`: options given with a call (the command line's) applied to a Config;
- :mod:`.runs`: expanding folders and globs into config paths.
"""
