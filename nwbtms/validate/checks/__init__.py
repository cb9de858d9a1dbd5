"""nwbtms checks, one module per concern; each module's ``run(ctx)`` yields :class:`~nwbtms.validate.registry.Hit` s.

Modules by step: ``readable`` (1), ``namespaces`` (2), ``schema`` (3), ``inspector`` (4), ``dandi`` (5),
``pulses``, ``protocols``, ``targets``, ``imaging``, ``cell_types`` (6), ``arrays`` (7), ``completeness`` (8).
"""
