"""The names of the built-in data sets, which a network file's `training.dataset` may give (checked when
the file is read, without numpy). What each set is, and how it is made or loaded, is its entry in
engine/data/registry.py, the one table of data sets; the core never imports the data layer, so the names
are written here too, and tests/test_data_registry.py fails when the two lists differ."""

NAMES = ("shapes", "sine", "recall", "mnist", "fashion-mnist", "cifar10", "waves", "clips", "shakespeare")
