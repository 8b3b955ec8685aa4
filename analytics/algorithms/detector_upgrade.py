"""Bringing a StreamingDetector pickled by an earlier tsmon up to the state
the current one keeps. Detector states live pickled in the database for
months; each block adds what one change added, with the value that keeps
the old detector doing what it did (or, where said, the new default)."""

from __future__ import annotations

import numpy as np

from .detector_defaults import (
    LIKELIHOOD_HISTORY,
    LIKELIHOOD_WINDOW,
    NOVELTY_TOLERANCE,
    PROFILE_SECONDS,
    WARMUP_SECONDS,
)
from .novelty import NewRange


def upgrade_pickled_state(detector) -> None:
    """Give `detector` (a StreamingDetector, maybe unpickled from an earlier tsmon) the state this one keeps."""
    if not hasattr(detector, "ts_buffer_"):  # before timestamps were kept: learn the step anew
        detector.ts_buffer_ = np.empty(0, np.int64)
    if not hasattr(detector, "last_fit_index_"):  # before fits were timed: its last fit by count
        # It fitted before scoring points min_train, min_train + retrain_every, ...
        fitted = bool(detector.models_[0]) and detector.n_seen_ > detector.min_train
        done = (detector.n_seen_ - detector.min_train - 1) // detector.retrain_every * detector.retrain_every
        detector.last_fit_index_ = detector.min_train + done if fitted else None
        detector.last_fit_ts_ = None
    if not hasattr(detector, "min_retrain_seconds"):
        detector.min_retrain_seconds = 0.0  # keep the cadence it was created with
    if not hasattr(detector, "warmup_seconds"):  # before the warm-up: what it fed counts
        detector.warmup_seconds = WARMUP_SECONDS
        detector.n_fits_ = len(detector.models_[0])
        # The oldest time it still holds, unless it saw more than it holds:
        # then it has run for longer than its buffer, and is warm.
        held = detector.ts_buffer_.size and detector.n_seen_ <= detector.ts_buffer_.size
        detector.first_ts_ = int(detector.ts_buffer_[0]) if held else detector.last_ts_
        if not held and detector.first_ts_ is not None:
            detector.first_ts_ -= int(detector.warmup_seconds * 1e9)
        detector.learning_ = detector.n_seen_ == 0
    if not hasattr(detector, "novelty_tolerance"):
        # Pickled before the likelihood and the new range: it takes the
        # defaults of a new detector (the range rebuilt from the values
        # it still holds; the likelihood's scores learnt anew).
        detector.likelihood_window, detector.likelihood_history = LIKELIHOOD_WINDOW, LIKELIHOOD_HISTORY
        detector.novelty_tolerance = NOVELTY_TOLERANCE
        detector.likelihood_ = detector.new_likelihood()
        detector.range_ = NewRange.from_values(detector.buffer_, detector.novelty_tolerance)
    if not hasattr(detector, "profile_seconds"):
        # Pickled before the daily profile: it takes the default, built
        # from the points it still holds (a day and a half at 1 minute,
        # a week at 5), so its band of the day counts a few days later.
        # The likelihood was off by default then and is on now: it
        # takes that up too (an explicit None then meant the same).
        detector.profile_seconds = PROFILE_SECONDS
        if detector.likelihood_window is None:
            detector.likelihood_window = LIKELIHOOD_WINDOW
            detector.likelihood_ = detector.new_likelihood()
        detector.profile_ = detector.new_profile()
        if detector.ts_buffer_.size == detector.buffer_.size:
            detector.profile_.update(detector.ts_buffer_, detector.buffer_)
