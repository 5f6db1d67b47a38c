"""The core: what a network is and what its shapes are, in pure Python (no torch, no numpy, no Qt at import).

blocks/ the catalog (one BlockSpec per type), graph the network and its change events, shapes the inference
and ShapeCache, serialization the file format, files the one atomic write, layout, codegen the exported
`class Net`, names (node ids as Python names), receptive fields, quick fixes, the training object and its
defaults, ready (can a network be built, trained, exported), the Learn stepper's arithmetic.
The layers above (engine.data, engine.runtime, engine.cli) import from here; nothing here imports them.
"""
