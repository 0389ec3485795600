"""loadwatch: watch a runner's training load and flag the jumps that studies of runners linked to
overuse injury. It describes load and groups of runners; it predicts no one's injury."""

__version__ = "0.1.0"
