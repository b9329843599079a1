"""One real peer's own per-frame code, timed on frames bench gives it: run by the peers'
Python (``scripts/peers-venv``), never imported by FocusCam, so it imports nothing of ours.

    DIR/bin/python peer_runner.py --peer lfbw|cvzone --frames FRAMES.npy --lfbw DIR/lfbw
        --warmup N --start K --count N

``FRAMES.npy``: decoded BGR frames (n, h, w, 3), uint8. Prints one JSON object: the wall time of
every timed frame (ms) and the process CPU time (every thread: MediaPipe's graph runs its own)
per frame, with the versions it ran on.

- **lfbw**: Linux-Fake-Background-Webcam's ``FakeCam.compose_frame`` with the defaults of its
  own argument parser and a blurred background (``--background no``), the way its ``run`` loop
  calls it for every camera frame. Its camera and virtual-camera objects are replaced by
  stand-ins that give the frame size and drop the frames (there is no camera here); everything
  on the frame's path is LFBW's.
- **cvzone**: ``SelfiSegmentation().removeBG`` over a 55x55 Gaussian of the frame, as cvzone's
  own blur example does it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _lfbw(frames, lfbw_dir: str):
    sys.path.insert(0, f"{lfbw_dir}/lfbw")
    import lfbw  # the checkout's own module

    h, w = frames.shape[1:3]

    class FrameSize:  # stands in for RealCam: reports the frames' size, opens no camera
        def __init__(self, *args) -> None:
            pass

        def get_frame_width(self) -> int:
            return w

        def get_frame_height(self) -> int:
            return h

    class NoVirtualCamera:  # stands in for pyfakewebcam.FakeWebcam
        def __init__(self, *args) -> None:
            pass

    lfbw.RealCam = FrameSize
    lfbw.pyfakewebcam.FakeWebcam = NoVirtualCamera
    args = lfbw.parser().parse_args(["--background", "no", "-W", str(w), "-H", str(h)])
    cam = lfbw.FakeCam(args)
    cam.load_images()
    # compose_frame writes its result into the frame it is given, as the camera's buffer
    return lambda frame: cam.compose_frame(frame.copy())


def _cvzone(frames, _lfbw_dir: str):
    import cv2
    from cvzone.SelfiSegmentationModule import SelfiSegmentation

    seg = SelfiSegmentation()

    def frame_step(frame):
        return seg.removeBG(frame, imgBg=cv2.GaussianBlur(frame, (55, 55), 0))

    return frame_step


PEERS = {"lfbw": _lfbw, "cvzone": _cvzone}


def main() -> int:
    parser = argparse.ArgumentParser(description="time one real peer on decoded frames")
    parser.add_argument("--peer", choices=sorted(PEERS), required=True)
    parser.add_argument("--frames", required=True)
    parser.add_argument("--lfbw", default="", help="LFBW's checkout (scripts/peers-venv)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--start", type=int, default=0, help="first frame timed")
    parser.add_argument("--count", type=int, default=0, help="frames timed (default: all)")
    args = parser.parse_args()

    import cv2
    import mediapipe
    import numpy as np

    frames = np.load(args.frames)
    step = PEERS[args.peer](frames, args.lfbw)
    for i in range(args.warmup):
        step(frames[i % len(frames)])
    walls = []
    c0 = time.process_time()
    for j in range(args.count or len(frames)):
        frame = frames[(args.start + j) % len(frames)]
        t0 = time.perf_counter()
        step(frame)
        walls.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - c0) * 1e3 / len(walls)
    json.dump(
        {
            "peer": args.peer,
            "wall_ms": [round(x, 3) for x in walls],
            "cpu_ms_per_frame": round(cpu, 3),
            "mediapipe": mediapipe.__version__,
            "opencv": cv2.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
