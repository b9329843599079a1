"""Person segmentation: model files, one module per runtime (LiteRT, MediaPipe), where the model
looks (crop.py), when it runs (cadence.py), and the matte's refinement (gate, temporal and guided
filters, edge colour; held objects in photos). Never imports the compositing."""
