"""3. The final run with the best parameters the tutorial's search found (about 87.5% after 10 epochs).
Replace them with yours: `tunelab best ID` prints them."""

from model import Training, parse_args

args = parse_args()
params = {"batch_size": 32, "hidden_size1": 128, "hidden_size2": 256, "lr": 0.04585081360744873,
          "momentum": 0.5363521578821588}
training = Training(params, args.data_dir)
for epoch in range(args.epochs):
    training.train_epoch()
    accuracy, loss = training.evaluate()
    print(f"epoch {epoch + 1}: accuracy {100 * accuracy:.1f}%, avg loss {loss:.6f}")
print(f"Best-parameters result: accuracy {100 * accuracy:.1f}%, avg loss {loss:.6f}")
