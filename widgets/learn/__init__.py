"""The Learn window (widgets.learn.window): a convolution stepper and a kernel lab, for the arithmetic behind
the blocks; and the receptive-field overlay of the Feature maps view (widgets.learn.overlay)."""
