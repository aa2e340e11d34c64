"""Callbacks that tune a training loop without hand-written report calls, one module per framework.

Import the one you use (each imports its framework, so nothing here loads until asked)::

    from tunelab.integration.lightning import TunelabCallback      # PyTorch Lightning
    from tunelab.integration.keras import TunelabCallback          # Keras 3
    from tunelab.integration.xgboost import TunelabCallback        # XGBoost
    from tunelab.integration.lightgbm import TunelabCallback       # LightGBM
    from tunelab.integration.transformers import TunelabCallback   # Hugging Face Transformers
    from tunelab.integration.sklearn import TunelabSearchCV        # scikit-learn (a search, not a callback)

Each reports the monitored metric as an intermediate result per epoch (or boosting round / evaluation),
reports the last or best value as the final result when training ends, and ends training cleanly when
``tunelab.should_stop()`` turns True (assessor early stop, user kill, budget end).

``TunelabSearchCV`` is a drop-in for ``RandomizedSearchCV`` that runs any tunelab tuner in this process.
"""
