"""Package data: the directory the manager puts first on a trial's ``PYTHONPATH``.

It holds the ``nni`` shim package and ``tunelab_nni_bridge`` (the channel plug-in the real ``nni`` SDK
loads through ``NNI_TRIAL_COMMAND_CHANNEL=import://...``). This ``__init__`` only makes setuptools ship the
directory; nothing imports ``tunelab.compat._shim`` itself.
"""
