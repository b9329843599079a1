"""Make the demo scene's pictures in assets/demo from public-domain photos (see assets/README.md).

The person is Grace Hopper's portrait (assets/people/grace_hopper.jpg), cut out once with the
lab's GrabCut recipe (app/lab/synthetic.py); the backdrop is scikit-image's coffee photo (CC0).
The app ships the results, so the demo scene needs neither the lab, nor scikit-image, nor a
model run. Run: .venv/bin/python scripts/make_demo_assets.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

from app.common.files import write_file
from app.common.images import alpha_u8, cover_fit
from app.lab import samples
from app.lab.synthetic import person_cutout
from app.outputs.images import encode_image

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo"
BACKGROUNDS = DEMO.parent / "backgrounds"
PRESETS = {
    "brick-wall": "brick.png",
    "launch-pad": "rocket.jpg",
    "deep-space": "hubble_deep_field.jpg",
}


def main() -> None:
    cut = person_cutout("hopper")
    write_file(DEMO / "person.jpg", encode_image(cut.image, ".jpg", 92), overwrite=True)
    write_file(DEMO / "person_alpha.png", encode_image(alpha_u8(cut.alpha), ".png"),
               overwrite=True)  # fmt: skip
    backdrop = samples.scene("coffee.png")
    backdrop = cv2.resize(backdrop, (960, 640), interpolation=cv2.INTER_CUBIC)
    write_file(DEMO / "backdrop.jpg", encode_image(backdrop, ".jpg", 90), overwrite=True)
    print(f"wrote {DEMO}")
    # Background presets for the Replace effect (public domain or CC0, see assets/README.md).
    BACKGROUNDS.mkdir(exist_ok=True)
    for name, source in PRESETS.items():
        img = cover_fit(samples.scene(source), (1280, 720))
        write_file(BACKGROUNDS / f"{name}.jpg", encode_image(img, ".jpg", 88), overwrite=True)
    print(f"wrote {BACKGROUNDS}")


if __name__ == "__main__":
    main()
