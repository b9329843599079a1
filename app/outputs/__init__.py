"""Everything that leaves the app: files (images, videos, mattes, photos, JSON), the virtual
camera and the recorder (fed on their own threads, feed.py). One protocol (base.Output); every
write checked and atomic; a journal of what is being written, so the next start can recover or
clear what a crash left (journal.py, recovery.py). Never imports Qt or the pipeline."""
