"""The summary table: per block its type, output shape, parameters, multiply-accumulates and
activation memory; totals; and an estimate of the memory training needs for a batch size, checked
against the chosen device."""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QFrame, QHBoxLayout, QHeaderView, QLabel,
                               QScrollArea, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from engine import fmt_shape
from engine.core.receptive import fields_for, num
from engine.core.sizes import OPTIMIZER_COPIES, available_ram
from engine.core.training_object import DEFAULTS, OPTIMIZERS, RANGES

from .icons import block_icon

COLUMNS = ("Block", "Type", "Output", "Params", "MACs", "Memory / sample", "Receptive field")
RF_COLUMN = 6


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def human_count(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def training_memory(results: dict, batch: int, optimizer: str = DEFAULTS["optimizer"]) -> dict:
    """Bytes needed to train (float32): weights, gradients, optimizer state and the activations of a batch."""
    params = sum(r.params or 0 for r in results.values())
    weights = 4 * params
    activations = sum(r.memory for r in results.values() if r.shape is not None) * batch
    state = OPTIMIZER_COPIES[optimizer] * weights
    return {"weights": weights, "gradients": weights, "optimizer": state, "activations": activations,
            "total": weights * 2 + state + activations}


def devices() -> list[tuple[str, int | None]]:
    """(name, bytes available) of the devices to compare with; CUDA only when torch is already loaded."""
    out = [("CPU (RAM)", available_ram())]
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                for i in range(torch.cuda.device_count()):
                    props = torch.cuda.get_device_properties(i)
                    out.append((f"CUDA {i}: {props.name}", int(props.total_memory)))
        except (RuntimeError, AssertionError):
            pass
    return out


def _item(text: str, align_right: bool = False) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return it


class SummaryPanel(QWidget):
    block_selected = Signal(str)
    batch_size_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((96, 110, 128, 76, 76, 118)):     # output: room for [C, D, H, W]
            self.table.setColumnWidth(col, width)
        self.totals = QLabel(self)
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.batch = QSpinBox(self)
        self.batch.setRange(*RANGES["batch_size"][1:])
        self.batch.setValue(DEFAULTS["batch_size"])
        self.batch.setMinimumWidth(90)          # "65536" readable
        self.optimizer = QComboBox(self)
        self.optimizer.addItems(OPTIMIZERS)          # the trainer's (its SGD has momentum 0.9)
        self.optimizer.setCurrentText(DEFAULTS["optimizer"])
        self.device = QComboBox(self)
        self.estimate = QLabel(self)
        self.estimate.setWordWrap(True)
        self.estimate.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Batch size", self.batch)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Device", self.device)
        # The totals and the memory estimate scroll in a low dock rather than squeezing the fields.
        side_area = QScrollArea(self)
        side_area.setWidgetResizable(True)
        side_area.setFrameShape(QFrame.Shape.NoFrame)
        side_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_area.setMinimumWidth(260)
        side_body = QWidget(side_area)
        side_area.setWidget(side_body)
        side = QVBoxLayout(side_body)
        side.setContentsMargins(0, 0, 6, 0)
        side.setSpacing(6)
        side.addWidget(self.totals)
        title = QLabel("<b>Training memory</b>", self)
        side.addWidget(title)
        side.addLayout(form)
        side.addWidget(self.estimate)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(8)
        lay.addWidget(self.table, 5)
        lay.addWidget(side_area, 2)
        self._results: dict = {}
        self._rows: list[str] = []
        self._types: list[str] = []
        self._stamps: dict = {}
        self._shown: list = []
        self.refresh_devices()
        self.batch.valueChanged.connect(self._estimate_changed)
        self.optimizer.currentIndexChanged.connect(lambda _i: self.update_estimate())
        self.device.currentIndexChanged.connect(lambda _i: self.update_estimate())
        self.table.itemSelectionChanged.connect(self._row_selected)

    def refresh_devices(self) -> None:
        current = self.device.currentText()
        self.device.blockSignals(True)
        self.device.clear()
        for name, avail in devices():
            self.device.addItem(name, avail)
        i = self.device.findText(current)
        self.device.setCurrentIndex(max(i, 0))
        self.device.blockSignals(False)

    def _estimate_changed(self, value: int) -> None:
        self.update_estimate()
        self.batch_size_changed.emit(value)

    def restyle(self) -> None:
        """The palette changed (another theme): the next refresh writes every cell again."""
        self._stamps = {}
        self._shown = [None] * len(self._rows)

    def follow(self, doc) -> None:
        """Follow the document's shapes from now on (a large network once typing pauses)."""
        from .follow import follow_document
        self.doc = doc
        follow_document(self, doc, self.refresh, delay_large=True)

    def refresh(self) -> None:
        self.show_network(self.doc.network, self.doc.results)

    def show_network(self, network, results: dict) -> None:
        """Fill the table; after an edit only the rows whose result changed are rewritten."""
        self._results = results
        order = network.topological_order()
        placed = set(order)
        ids = order + [n for n in network.nodes if n not in placed]
        self.table.blockSignals(True)
        if ids != self._rows or [network.nodes[n].type for n in ids] != self._types:
            self._rows = ids
            self._types = [network.nodes[n].type for n in ids]
            self._stamps = {}
            self._shown = [None] * len(ids)      # per row, what its result cells show
            self.table.setRowCount(0)
            self.table.setRowCount(len(ids))
            for row, nid in enumerate(ids):
                node = network.nodes[nid]
                name = _item(nid)
                name.setIcon(block_icon(node.type))
                self.table.setItem(row, 0, name)
                self.table.setItem(row, 1, _item(node.spec.label))
                for col in (2, 3, 4, 5, RF_COLUMN):
                    self.table.setItem(row, col, _item("", 2 < col < RF_COLUMN))
        colours = {"error": QColor("#d9534f"), "muted": self.palette().color(QPalette.ColorRole.PlaceholderText),
                   "text": self.palette().color(QPalette.ColorRole.Text)}
        for row, nid in enumerate(ids):
            r = results.get(nid)
            stamp = r.stamp if r is not None else None
            if self._stamps.get(nid) != stamp:
                self._stamps[nid] = stamp
                self._fill_row(row, r, colours)
        self._fill_receptive(network, results, ids)
        self.table.blockSignals(False)
        total_params = sum(r.params or 0 for r in results.values())
        total_macs = sum(r.macs for r in results.values() if r.shape is not None)
        act = sum(r.memory for r in results.values() if r.shape is not None)
        errors = sum(1 for r in results.values() if r.error and not r.blocked)
        if not results:
            status = "empty"
        elif errors:
            status = f"{errors} error{'s' if errors != 1 else ''}"
        else:
            status = "valid"
        self.totals.setText(f"<b>Total</b>: {len(ids)} blocks, {status}<br>{total_params:,} parameters "
                            f"({human_bytes(4 * total_params)})<br>{human_count(total_macs)} MACs per sample<br>"
                            f"activations {human_bytes(act)} per sample")
        self.update_estimate()

    def _fill_row(self, row: int, r, colours: dict) -> None:
        """Write one row's result cells; cells whose text and look did not change are left alone (an edit
        at the top of a large network changes every row, but mostly some of its cells)."""
        if r is None or r.shape is None:
            failed = r is not None and r.error and not r.blocked
            colour = colours["error" if failed else "muted"]
            shown = ("error" if failed else "—", r.error if r is not None and r.error else "", colour.rgba(),
                     "", "", "")
        else:
            colour = colours["text"]
            shown = (fmt_shape(r.shape), "", colour.rgba(), f"{r.params:,}" if r.params else "0",
                     human_count(r.macs), human_bytes(r.memory))
        before = self._shown[row]
        if before is None or before[1:3] != shown[1:3]:         # tooltip and colour (a theme switch changes it)
            out = self.table.item(row, 2)
            out.setToolTip(shown[1])
            out.setForeground(colour)
        for i, col in ((0, 2), (3, 3), (4, 4), (5, 5)):
            if before is None or before[i] != shown[i]:
                self.table.item(row, col).setText(shown[i])
        self._shown[row] = shown

    def _fill_receptive(self, network, results: dict, ids: list) -> None:
        """The receptive field column: it follows every edit before a block (a kernel can grow while the
        shapes after it stay as they were), so it is compared on its own, cell by cell."""
        fields = fields_for(network, results)
        for row, nid in enumerate(ids):
            f = fields.get(nid)
            text = f.text() if f is not None else "—"
            item = self.table.item(row, RF_COLUMN)
            if item.text() != text:
                item.setText(text)
                item.setToolTip("" if f is None else
                                f"each unit sees {text} input pixels; neighbouring units are "
                                f"{'×'.join(str(num(v)) for v in f.jump)} pixels apart")

    def update_estimate(self) -> None:
        m = training_memory(self._results, self.batch.value(), self.optimizer.currentText())
        avail = self.device.currentData()
        parts = (f"≈ <b>{human_bytes(m['total'])}</b>: weights {human_bytes(m['weights'])} + gradients "
                 f"{human_bytes(m['gradients'])} + optimizer state {human_bytes(m['optimizer'])} + activations "
                 f"{human_bytes(m['activations'])} for {self.batch.value()} samples.")
        if avail:
            if m["total"] <= avail * 0.8:
                verdict = f" <span style='color:#3a9a5b'>Fits</span>: {human_bytes(avail)} available."
            else:
                verdict = (f" <span style='color:#d9534f'>Does not fit</span> comfortably in {human_bytes(avail)} "
                           "available: lower the batch size or make the network smaller.")
        else:
            verdict = " (available memory unknown)"
        self.estimate.setText(parts + verdict)

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._rows):
            self.block_selected.emit(self._rows[rows[0].row()])
