"""1. Baseline: the hand-picked hyperparameters of the tutorial (about 77% accuracy after 10 epochs)."""

from model import DEFAULT_PARAMS, Training, parse_args

args = parse_args()
params = dict(DEFAULT_PARAMS)
training = Training(params, args.data_dir)
for epoch in range(args.epochs):
    training.train_epoch()
    accuracy, loss = training.evaluate()
    print(f"epoch {epoch + 1}: accuracy {100 * accuracy:.1f}%, avg loss {loss:.6f}")
print(f"Baseline result: accuracy {100 * accuracy:.1f}%, avg loss {loss:.6f}")
