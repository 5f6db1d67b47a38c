"""The runtime: torch. Building a network's nn.Module (build, modules), training it (trainer, train_setup,
runs: checkpoints and run folders), the live views computed in the training process (live, probes), the
child process and its messages (child, protocol), the run as the app mirrors it (run_model, torch-free),
import from any nn.Module (importer) and the exports that need torch (weights, script_export, onnx_export).
Importing this package imports nothing: each module imports torch itself, so the app can import the
torch-free ones (protocol, run_model) without waiting for torch.
"""
