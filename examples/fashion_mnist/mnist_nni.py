"""2b. The trial: the baseline with the tutorial's NNI lines (unchanged NNI code; tunelab runs it)."""

import nni
from model import DEFAULT_PARAMS, Training, parse_args

args = parse_args()
params = dict(DEFAULT_PARAMS)
params.update(nni.get_next_parameter())  # {} when run by hand: the defaults stay
training = Training(params, args.data_dir)
for epoch in range(args.epochs):
    training.train_epoch()
    accuracy, loss = training.evaluate()
    print(f"epoch {epoch + 1}: accuracy {100 * accuracy:.1f}%, avg loss {loss:.6f}")
    nni.report_intermediate_result(accuracy)
nni.report_final_result(accuracy)
