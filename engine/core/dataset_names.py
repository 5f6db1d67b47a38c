"""The named data sets and what each is, importable without numpy (a network file's `training`
object is checked against these names when the file is read)."""

BUILT_IN = {
    "shapes": "Generated shapes (circle, square, triangle, bars), any image size; no download",
    "sine": "Sine-wave forecasting: Input [T, 1], predict the next value (regression)",
    "recall": "Recall the marked one of T random symbols: Input [T, F], F-1 classes; an LSTM solves it, an RNN cannot",
    "mnist": "Handwritten digits 28×28, 10 classes (downloaded once, 11 MB)",
    "fashion-mnist": "Clothing images 28×28, 10 classes (downloaded once, 30 MB)",
    "cifar10": "Colour photos 3×32×32, 10 classes (downloaded once, 163 MB)",
    "waves": "Generated signals [C, L] of four kinds (sine, square, triangle, sawtooth), 4 classes; no download",
    "shakespeare": "Tiny Shakespeare for character models (from a data folder; else four built-in sonnets)",
}
