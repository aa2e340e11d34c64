import math

import nni

params = nni.get_next_parameter()
assert params["batch_size"] in (16, 32, 64), params
assert params["layers"] in (1, 2, 3), params
assert 0.0 <= params["dropout"] <= 0.5, params
assert params["hidden"] in (32, 64, 96, 128), params
assert 1e-4 <= params["lr"] <= 1e-1, params
assert 1e-5 <= params["wd"] <= 1e-2, params
assert math.isfinite(params["init"]), params
assert params["scale"] > 0, params
assert params["shift"] % 0.5 == 0, params
assert params["steps"] % 1.0 == 0, params
opt = params["optimizer"]
assert opt["_name"] in ("sgd", "adam"), opt
assert ("momentum" in opt) if opt["_name"] == "sgd" else (opt["beta1"] in (0.8, 0.9)), opt
assert nni.get_current_parameter("batch_size") == params["batch_size"]
assert nni.get_trial_id() != "STANDALONE"
assert nni.get_experiment_id() != "STANDALONE"
print("PRINTED-BY-TRIAL", nni.get_sequence_id(), flush=True)
loss = params["lr"] * 10 + params["dropout"]
for epoch in range(3):
    nni.report_intermediate_result({"default": loss / (epoch + 1), "epoch": epoch})
nni.report_final_result({"default": loss, "accuracy": 1 - loss})
