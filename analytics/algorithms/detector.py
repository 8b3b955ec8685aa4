"""The streaming anomaly detector: one causal, picklable object for backtests and live jobs.

A job keeps a :class:`StreamingDetector` per series, pickles it after each run
and feeds the next run only the new points; a backtest feeds a whole file
through a fresh one. Both run the same code, and the scores do not depend on
how the points are split into calls (a test checks chunked == point by point).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .calibration import combine_scores
from .daily_profile import DailyProfile
from .detections import Detections, concat_detections
from .detector_defaults import (
    LIKELIHOOD_HISTORY,
    LIKELIHOOD_WINDOW,
    NOVELTY_TOLERANCE,
    PROFILE_SECONDS,
    RUN_LEVEL,
    WARMUP_SECONDS,
)
from .detector_events import event_starts, repeats_in_runs
from .detector_scorers import (
    default_scorers,
    expected_band,
    fitted_copy,
    recent_scores,
    residual_noise,
    seasonal_gate,
)
from .detector_upgrade import upgrade_pickled_state
from .likelihood import AnomalyLikelihood
from .novelty import NewRange
from .validation import check_arrays, check_series

# A new range must pass the old one by this many robust scales of the
# one-step residuals (see analytics.algorithms.novelty).
NOISE_MARGIN = 2.0


class StreamingDetector:
    """Combined causal anomaly detector with its own history, models and retraining cadence.

    Each scorer is refitted every ``retrain_every`` points, but not more often
    than every ``min_retrain_seconds``, on the last ``train_size`` values; the last ``n_models`` fits of a scorer must agree
    (a point's score from that scorer is the minimum over them, as Netdata
    requires all its recent models to flag a point). The detector's score
    combines these calibrated scores, all from the one shared
    :class:`~analytics.algorithms.calibration.TailCalibrator`: by Fisher's
    method (:func:`~analytics.algorithms.calibration.combine_scores`, the
    default) or by their maximum.

    An anomaly *event* starts where the score reaches ``alarm_level``; for the
    next ``refractory`` points the score is multiplied by ``damping``, so a
    long anomaly is reported once at its onset rather than at every point.
    Below the alarm level the same holds for a run of points scoring at least
    ``run_level``: a point of the run no higher than an earlier one is damped
    too, as it tells nothing the run's first point did not.

    Parameters
    ----------
    scorers : sequence of scorers or None
        Objects with ``context_size``, ``fit_values`` and ``score_values``; they
        are deep-copied at each fit. ``None`` means a k-means scorer on smoothed
        differences, a k-means scorer on smoothed levels, a residual scorer and
        a seasonal-context scorer. The first ``ResidualScorer`` gives expected
        values and bands.
    train_size : int
        Points each fit learns from.
    min_train : int
        Points before the first fit (scores are 0 until then).
    retrain_every : int
        Points between fits.
    min_retrain_seconds : float
        Least time between fits. At 5-minute resolution 100 points span more
        than 8 hours and this changes nothing; at 10 seconds it makes a fit
        every 2 hours instead of every 17 minutes, which is what lets one
        core keep up with 100,000 such series (fitting dominates the cost).
    n_models : int
        Recent fits per scorer that must agree.
    combine : {"fisher", "max"}
        How the scorers' scores make the detector's score.
    alarm_level : float
        Score that starts an anomaly event.
    refractory : int
        Points after an event start whose scores are damped.
    damping : float
        Factor applied to scores inside the refractory period.
    run_level : float
        Score that a run of high scores stays at or above; within a run only
        new highs keep their score: a rising run keeps each new high, and a
        run that hovers near the alarm level costs one false positive instead
        of several.
    seasonal_gate : bool
        Where a scorer with ``expected_mask`` (the seasonal-context scorer)
        finds the value inside its seasonal band, the detector's score is that
        scorer's score alone: a value seen at this phase on the earlier cycles
        (a nightly job) is ordinary in context, however it compares with the
        last few points. This is the contextual-anomaly view (Chandola,
        Banerjee & Kumar 2009, "Anomaly detection: a survey", section 2.2.2).
    warmup_seconds : float
        Warm-up in time: a point is *learning* (scored and learned from, but
        reported with score 0, so nothing is stored and no event starts)
        until ``warmup_seconds`` have passed since the series' first point,
        and in any case until the first fit (``min_train`` points, the least
        a model learns from). The default is a day: most operational metrics
        follow the clock, and before a series has shown a whole day every
        hour of it is a first. Counted in time and not in points, the rule
        means the same at 10 seconds as at an hour, where ``min_train``
        already spans 12 days. 0: only the first fit counts.
    likelihood_window : int or None
        After the gate, the score is at least the anomaly likelihood of the
        mean of the last ``likelihood_window`` scores against their usual
        level on this series (:class:`~analytics.algorithms.likelihood.AnomalyLikelihood`,
        HTM's anomaly likelihood, re-estimated at each fit from the last
        ``likelihood_history`` points): a run of moderate scores on a quiet
        series is an anomaly though no single point is. It is on by default
        only with the daily profile: without it, the runs of moderate scores
        on a weekday after a weekend (models that have seen only the weekend)
        are what it flags, and a person would not. The README has the
        figures. None: off.
    likelihood_history : int
        Points whose mean scores make the usual level (1000: three and a half
        days at NAB's 5 minutes; 2000 cost realKnownCause 7 points, the level
        then lags a series whose noise changes).
    novelty_tolerance : float or None
        A value beyond the range of all values before it by more than this
        fraction of the range scores 1 (:class:`~analytics.algorithms.novelty.NewRange`,
        HTM's spatial anomaly): the models learn from the last
        ``train_size`` points only and forget a range a slow slide leaves.
        The margin is at least ``NOISE_MARGIN`` robust scales of the
        residual scorer's one-step residuals, so that noise reaching a new
        record is not new. None: off.
    profile_seconds : float or None
        History, in seconds, of the daily profile
        (:class:`~analytics.algorithms.daily_profile.DailyProfile`: the least
        and greatest value of every 10 minutes of the last week). With
        ``seasonal_gate``, a value inside the band that the median earlier
        day gives its time of day (within an hour, widened by a fifth) scores
        no more than the seasonal-context scorer's own score (0 without one):
        it is ordinary in its daily context. The models learn from
        ``train_size`` points, 33 hours at 1 minute, and on the first
        weekday after a weekend know only the weekend; the profile is in
        time, so it holds a week at any resolution, in about 2,000 numbers.
        None: off. The figures behind the defaults are in
        :mod:`analytics.algorithms.detector_defaults`.

    Attributes
    ----------
    n_seen_ : int
        Points fed so far.
    last_fit_index_, last_fit_ts_ : int or None
        ``n_seen_`` and the newest timestamp (ns) at the last fit.
    buffer_ : ndarray
        The last ``max(train_size, context)`` values (NaN kept).
    ts_buffer_ : ndarray of int64
        Their timestamps (ns); their median step is passed to scorers that
        take one (``fit_uses_step``).
    models_ : list of list
        Recent fitted copies per scorer, oldest first.
    quiet_until_ : int
        Index of the first point after the current refractory period.
    run_max_ : float
        Highest score of the run of high scores the last point belongs to (0: none).
    first_ts_ : int or None
        Timestamp (ns) of the first point fed, where the warm-up starts.
    n_fits_ : int
        Fits made so far.
    learning_ : bool
        Whether the last point fed was in the warm-up (True before any point).
    likelihood_ : AnomalyLikelihood or None
        The history of scores and its normal law (None: off).
    range_ : NewRange or None
        The range of the values fed (None: off).
    profile_ : DailyProfile or None
        The daily profile of the values fed (None: off).

    Notes
    -----
    State contract for jobs: the object is plain Python + numpy + scikit-learn,
    so ``pickle.dumps(detector)`` stores everything needed; load it and call
    ``update`` with points after the last one fed. Timestamps are checked to
    increase across calls.
    """

    def __init__(
        self,
        scorers: Sequence | None = None,
        train_size: int = 2000,
        min_train: int = 300,
        retrain_every: int = 100,
        min_retrain_seconds: float = 7200.0,
        n_models: int = 2,
        combine: str = "fisher",
        alarm_level: float = 0.5,
        refractory: int = 300,
        damping: float = 0.3,
        run_level: float = RUN_LEVEL,
        seasonal_gate: bool = True,
        warmup_seconds: float = WARMUP_SECONDS,
        likelihood_window: int | None = LIKELIHOOD_WINDOW,
        likelihood_history: int = LIKELIHOOD_HISTORY,
        novelty_tolerance: float | None = NOVELTY_TOLERANCE,
        profile_seconds: float | None = PROFILE_SECONDS,
    ):
        self.scorers = scorers
        self.train_size = train_size
        self.min_train = min_train
        self.retrain_every = retrain_every
        self.min_retrain_seconds = min_retrain_seconds
        self.n_models = n_models
        self.combine = combine
        self.alarm_level = alarm_level
        self.refractory = refractory
        self.damping = damping
        self.run_level = run_level
        self.seasonal_gate = seasonal_gate
        self.warmup_seconds = warmup_seconds
        self.likelihood_window = likelihood_window
        self.likelihood_history = likelihood_history
        self.novelty_tolerance = novelty_tolerance
        self.profile_seconds = profile_seconds

    # -- state ------------------------------------------------------------
    def _prototypes(self) -> list:
        if self.scorers is not None:
            return list(self.scorers)
        return default_scorers()

    def _start(self) -> None:
        if self.combine not in ("fisher", "max"):
            raise ValueError(f"combine must be 'fisher' or 'max', not {self.combine!r}")
        self.n_seen_ = 0
        self.last_ts_ = None
        self.buffer_ = np.empty(0)
        self.ts_buffer_ = np.empty(0, np.int64)
        self.models_ = [[] for _ in self._prototypes()]
        self.last_fit_index_ = None
        self.last_fit_ts_ = None
        self.quiet_until_ = 0
        self.run_max_ = 0.0
        self.first_ts_ = None
        self.n_fits_ = 0
        self.learning_ = True
        self.likelihood_ = self.new_likelihood()
        self.range_ = None if self.novelty_tolerance is None else NewRange(self.novelty_tolerance)
        self.profile_ = self.new_profile()
        self.context_ = max(s.context_size for s in self._prototypes()) + 1

    def new_likelihood(self) -> AnomalyLikelihood | None:
        """The anomaly likelihood a fresh detector with these parameters starts with (None: off)."""
        if self.likelihood_window is None:
            return None
        return AnomalyLikelihood(self.likelihood_window, self.likelihood_history)

    def new_profile(self) -> DailyProfile | None:
        """The daily profile a fresh detector with these parameters starts with (None: off)."""
        if self.profile_seconds is None:
            return None
        return DailyProfile(history_seconds=self.profile_seconds)

    def reset(self) -> StreamingDetector:
        """Forget all history and models; returns self."""
        self._start()
        return self

    # -- feeding ----------------------------------------------------------
    def update(self, ts: np.ndarray, values: np.ndarray) -> Detections:
        """Score new points (after all points fed before) and learn from them.

        Parameters
        ----------
        ts : ndarray of int64 (ns) or datetime64, shape (n,)
        values : ndarray of float, shape (n,)

        Returns
        -------
        Detections
            Score, expected value, band, direction and event starts per point.
        """
        if not hasattr(self, "n_seen_"):
            self._start()
        ts, values = check_arrays(ts, values)
        upgrade_pickled_state(self)
        if ts.size and self.last_ts_ is not None and ts[0] <= self.last_ts_:
            raise ValueError("new timestamps must come after the points already fed")
        if ts.size and self.first_ts_ is None:
            self.first_ts_ = int(ts[0])
        parts, start = [], 0
        while start < values.size:
            if self._retrain_due(int(ts[start])):
                self._retrain()
            stop = start + self._points_to_next_retrain(ts[start:])
            parts.append(self._score_segment(values[start:stop], ts[start:stop]))
            start = stop
        result = concat_detections(parts)
        self._apply_events(result)
        if ts.size:
            self.last_ts_ = int(ts[-1])
            self.learning_ = bool(result.learning[-1])
        return result

    def _retrain_due(self, next_ts: int) -> bool:
        """Whether to fit before scoring the next point (index ``n_seen_``, time ``next_ts``)."""
        if self.last_fit_index_ is None:
            return self.n_seen_ >= self.min_train
        if self.n_seen_ - self.last_fit_index_ < self.retrain_every:
            return False
        return self.last_fit_ts_ is None or next_ts - self.last_fit_ts_ >= self._min_retrain_ns()

    def _points_to_next_retrain(self, ts: np.ndarray) -> int:
        """Points of ``ts`` (the next ones to score) to score before the next fit is due."""
        if self.last_fit_index_ is None:
            return int(np.clip(self.min_train - self.n_seen_, 1, ts.size))
        by_count = max(1, self.last_fit_index_ + self.retrain_every - self.n_seen_)
        if by_count >= ts.size or self.last_fit_ts_ is None:
            return min(by_count, ts.size)
        due_at = self.last_fit_ts_ + self._min_retrain_ns()
        return by_count + int(np.searchsorted(ts[by_count:], due_at, side="left"))

    def _min_retrain_ns(self) -> int:
        return int(self.min_retrain_seconds * 1_000_000_000)

    def _retrain(self) -> None:
        self.n_fits_ += 1
        self.last_fit_index_ = self.n_seen_
        self.last_fit_ts_ = int(self.ts_buffer_[-1]) if self.ts_buffer_.size else None
        history = self.buffer_[-self.train_size :]
        steps = np.diff(self.ts_buffer_[-history.size :])
        step_ns = float(np.median(steps)) if steps.size else None
        for models, prototype in zip(self.models_, self._prototypes(), strict=True):
            models.append(fitted_copy(prototype, history, self.ts_buffer_, step_ns))
            del models[: -self.n_models]
        if self.likelihood_ is not None:
            self.likelihood_.estimate()

    def _score_segment(self, segment: np.ndarray, ts: np.ndarray) -> Detections:
        n = segment.size
        context = np.concatenate([self.buffer_[-self.context_ :], segment])
        context_ts = np.concatenate([self.ts_buffer_[-self.context_ :], ts])
        keep = max(self.train_size, self.context_)
        self.buffer_ = np.concatenate([self.buffer_, segment])[-keep:]
        self.ts_buffer_ = np.concatenate([self.ts_buffer_, ts])[-keep:]
        self.n_seen_ += n
        learning = self._learning(ts)
        new_range = self._new_range(segment)
        in_daily_band = self._in_daily_band(ts, segment)
        if not self.models_[0]:
            nan = np.full(n, np.nan)
            return Detections(
                np.zeros(n),
                nan,
                nan.copy(),
                nan.copy(),
                np.zeros(n, np.int8),
                np.zeros(n, bool),
                learning=learning,
            )
        # Each scorer gets only the history it needs, so that a long seasonal
        # context does not slow down the cheap scorers.
        per_scorer = [
            np.min([recent_scores(m, context, context_ts, n) for m in models], axis=0)
            for models in self.models_
        ]
        score = combine_scores(per_scorer) if self.combine == "fisher" else np.max(per_scorer, axis=0)
        if self.seasonal_gate:
            score = seasonal_gate(score, self.models_, per_scorer, context, n, in_daily_band)
        if self.likelihood_ is not None:
            score = np.maximum(score, self.likelihood_.update(score))
        score[new_range] = 1.0
        score[learning] = 0.0
        score[np.isnan(segment)] = np.nan
        expected, half = expected_band(self.models_, context, n)
        direction = np.sign(segment - expected)
        return Detections(
            score,
            expected,
            expected - half,
            expected + half,
            np.nan_to_num(direction).astype(np.int8),
            np.zeros(n, bool),
            learning=learning,
        )

    def _new_range(self, segment: np.ndarray) -> np.ndarray:
        """Which values of ``segment`` leave the range seen, by a margin of at least twice the noise."""
        if self.range_ is None:
            return np.zeros(segment.size, bool)
        return self.range_.update(segment, NOISE_MARGIN * residual_noise(self.models_))

    def _learning(self, ts: np.ndarray) -> np.ndarray:
        """Which of the points at ``ts`` (scored by the current fits) fall in the warm-up."""
        if not self.n_fits_:
            return np.ones(ts.size, bool)
        return ts < self.first_ts_ + int(self.warmup_seconds * 1_000_000_000)

    def _in_daily_band(self, ts: np.ndarray, segment: np.ndarray) -> np.ndarray:
        """Which values of ``segment`` lie inside their band of the day (see ``profile_seconds``)."""
        if self.profile_ is None:
            return np.zeros(segment.size, bool)
        return self.profile_.update(ts, segment)

    def _apply_events(self, result: Detections) -> None:
        first = self.n_seen_ - result.score.size
        result.alarm, damped, self.quiet_until_ = event_starts(
            result.score, first, self.quiet_until_, self.alarm_level, self.refractory
        )
        # Detectors pickled before runs were tracked take the default level.
        repeats, self.run_max_ = repeats_in_runs(
            result.score, getattr(self, "run_level", RUN_LEVEL), getattr(self, "run_max_", 0.0)
        )
        result.raw_score = result.score.copy()
        result.score[damped | repeats] *= self.damping


def detect(y: pd.Series, detector: StreamingDetector | None = None) -> pd.DataFrame:
    """Run a fresh copy of ``detector`` (default: :class:`StreamingDetector`) over ``y``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``score``, ``expected``, ``lo``, ``hi``,
        ``direction``, ``alarm``. NaN values get a NaN score.
    """
    ts, values = check_series(y)
    fresh = copy.deepcopy(detector) if detector is not None else StreamingDetector()
    frame = fresh.reset().update(ts, values).to_frame(ts)
    frame.loc[np.isnan(values), "score"] = np.nan
    return frame.set_axis(y.index)
