"""Wiring of the Learn window: Help → Learn, "Step through this layer" from Shapes explained (with the
selected block's settings), "Open in the kernel lab" from the Filters view, and the current data set's
samples for the kernel lab. The window is made on first use."""
from __future__ import annotations

from engine.core.blocks.spec import pair


def install_learn(window) -> None:
    window.learn_window = None
    action = window._action("&Learn: Convolutions and Kernels…", lambda: open_stepper(window),
                            "Ctrl+Shift+L", tip="Step through a convolution on a small grid; try kernels on a picture")
    window.learn_action = action
    first = window.help_menu.actions()[0] if window.help_menu.actions() else None
    window.help_menu.insertAction(first, action)
    window.help_menu.insertSeparator(first)
    window.explain.step_requested.connect(lambda nid: step_through(window, nid))


def open_stepper(window) -> None:
    learn = learn_window(window)
    patch = probe_patch(probe_image(window))
    if patch is not None:
        learn.stepper.offer_probe_patch(patch)
    learn.show_stepper()


def probe_patch(image, side: int = 6):
    """The centre side×side of the probe image (grey), as whole numbers 0 to 9 for the stepper's grid."""
    if image is None:
        return None
    import numpy as np
    a = np.asarray(image, np.float32)
    a = a.mean(axis=0) if a.ndim == 3 else a
    if a.ndim != 2 or min(a.shape) < side:
        return None
    top, left = (a.shape[0] - side) // 2, (a.shape[1] - side) // 2
    p = a[top:top + side, left:left + side]
    lo, hi = float(p.min()), float(p.max())
    scaled = (p - lo) / (hi - lo) * 9 if hi > lo else np.zeros_like(p)
    return np.rint(scaled).astype(int).tolist()


def learn_window(window):
    if window.learn_window is None:
        from widgets.learn.window import LearnWindow
        window.learn_window = LearnWindow(window)
        window.learn_window.lab.sample_provider = lambda: data_samples(window)
    return window.learn_window


def step_through(window, node_id: str) -> None:
    """The stepper set to the block's own window: kernel size, padding, stride, dilation (and a transposed
    convolution's output_padding) per axis, read from its parameters. A 1-D block is one row; a 3-D block is
    stepped over its last two axes (H and W: one depth slice)."""
    net = window.doc.network
    if node_id not in net:
        return
    node = net.nodes[node_id]
    spec = node.spec
    results = window.doc.results
    srcs = net.inputs_of(node_id)
    if not spec.arithmetic or not spec.spatial or spec.param("kernel_size") is None or not srcs \
            or results.get(srcs[0]) is None or results[srcs[0]].shape is None \
            or results.get(node_id) is None or not results[node_id].ok:      # its settings must be usable
        window.show_status(f"'{node_id}' has no window to step through.")
        return
    p = spec.resolved(node.params)
    nd = spec.spatial

    def per_axis(name: str, default, row: int):
        """The (rows, columns) value of a parameter: the last two axes; a 1-D block's single axis is the
        columns, its one row taking `row` (1 for a window, stride or dilation, 0 for a padding)."""
        value = p.get(name, default)
        value = default if value is None else value
        if isinstance(value, str):
            return value
        values = pair(value, nd)
        return (row, values[0]) if nd == 1 else tuple(values[-2:])

    stride_default = p["kernel_size"] if spec.param("stride").default is None else 1     # pooling: the window
    learn = learn_window(window)
    learn.stepper.configure(spec.arithmetic, per_axis("kernel_size", 1, 1), per_axis("padding", 0, 0),
                            per_axis("stride", stride_default, 1), per_axis("dilation", 1, 1), one_row=nd == 1,
                            output_padding=per_axis("output_padding", 0, 0))
    learn.show_stepper()
    slice_note = " (one depth slice: H and W)" if nd == 3 else ""
    window.show_status(f"The stepper has {spec.label} '{node_id}''s settings on a small grid{slice_note}.")


def open_filter(window, name: str, kernel, probe=None) -> None:
    """A learned filter in the kernel lab, applied to the probe image (the Feature maps view's last one)."""
    learn = learn_window(window)
    if probe is None:
        probe = probe_image(window)
    if probe is not None:
        learn.lab.add_picture("Probe image", probe)
        learn.lab.choose_picture("Probe image")
    learn.lab.set_kernel(kernel, name)
    learn.show_lab()


def data_samples(window, n: int = 6) -> list:
    """A few samples of the data set chosen in the training panel (image data sets only)."""
    import numpy as np

    from engine.data import input_spec, preview
    panel = getattr(window, "training_panel", None)
    spec = panel.dataset_spec() if panel is not None else "shapes"
    data_dir = panel.data_dir() if panel is not None else None
    kind, examples, _text = preview(spec, input_spec(window.doc.network), data_dir, n=n)
    if kind != "image":
        return []
    out = []
    for i, (x, label) in enumerate(examples):
        a = np.asarray(x, np.float32)
        if a.ndim == 3 and a.shape[0] in (1, 3):
            out.append((f"{spec} sample {i + 1} ({label})", a[0] if a.shape[0] == 1 else a))
    return out


def probe_image(window):
    """The probe image the Feature maps view shows last, (H, W) or (C, H, W), or None."""
    views = getattr(getattr(window, "live_views", None), "views", {})
    features = views.get("features")
    frame = getattr(getattr(features, "receptive", None), "frame", None) or {}
    image = frame.get("sample", {}).get("image")
    if image is None:
        return None
    import numpy as np
    a = np.asarray(image, np.float32)
    return np.transpose(a, (2, 0, 1)) if a.ndim == 3 else a
