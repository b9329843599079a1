"""Everything that leaves the app: files (images, videos, mattes, photos, JSON), and later the
virtual camera and the recorder. One protocol (base.Output); every write checked and atomic."""
