"""The streaming anomaly detector: one causal, picklable object for backtests and live jobs.

A job keeps a :class:`StreamingDetector` per series, pickles it after each run
and feeds the next run only the new points; a backtest feeds a whole file
through a fresh one. Both run the same code, and the scores do not depend on
how the points are split into calls (a test checks chunked == point by point).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calibration import combine_scores
from .daily_profile import DailyProfile
from .kmeans import KMeansWindowScorer
from .likelihood import AnomalyLikelihood
from .novelty import NewRange
from .residual import ResidualScorer
from .seasonal import SeasonalContextScorer
from .validation import check_arrays, check_series

# A new range must pass the old one by this many robust scales of the
# one-step residuals (see analytics.algorithms.novelty).
NOISE_MARGIN = 2.0
# Scores whose mean the anomaly likelihood judges (HTM's short window).
LIKELIHOOD_WINDOW = 20


@dataclass
class Detections:
    """Per-point output of :meth:`StreamingDetector.update`, arrays of shape (n,).

    Attributes
    ----------
    score : float64, in [0, 1]; NaN where the value was NaN, 0 before the first model.
    expected : float64, the value the detector expected (NaN before the first model).
    lo, hi : float64, the band of ordinary values around ``expected``.
    direction : int8, +1 above ``expected``, -1 below, 0 equal or unknown.
    alarm : bool, True where an anomaly event starts (score >= alarm_level
        outside a refractory period).
    raw_score : float64, the score before refractory damping. ``score`` reports
        an event once at its onset (what NAB-style scoring rewards);
        ``raw_score`` is how unusual each point is on its own, which live
        detection stores so that a second anomaly soon after a first is not
        hidden.
    learning : bool, True where the point fell in the detector's warm-up
        (see ``warmup_seconds``): it was scored and learned from, but its
        score is reported as 0 (NaN stays NaN) and it starts no event.
    """

    score: np.ndarray
    expected: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    direction: np.ndarray
    alarm: np.ndarray
    raw_score: np.ndarray | None = None
    learning: np.ndarray | None = None

    def to_frame(self, ts: np.ndarray) -> pd.DataFrame:
        """The detections as a frame indexed by the UTC timestamps ``ts`` (int64 ns)."""
        index = pd.DatetimeIndex(
            np.asarray(ts, dtype=np.int64).view("datetime64[ns]"), name="ts"
        ).tz_localize("UTC")
        return pd.DataFrame(self.__dict__, index=index)


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
        new highs keep their score. On NAB dev the figures are the same for
        any level from 0.1 to 0.44 (standard 75.25 -> 75.55, low FP 72.47 ->
        73.08): a rising run keeps each new high, and a run that hovers near
        the alarm level costs one false positive instead of several.
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
        hour of it is a first (at 1-minute points the first fit sees 5 night
        hours, and the morning rise is then "unusual"; on the demo data 146
        of 302 noise events came in the first 24 hours). Counted in time and
        not in points, the rule means the same at 10 seconds as at an hour,
        where ``min_train`` already spans 12 days. Waiting also for
        ``n_models`` fits (the agreement of two) cost NAB dev's hourly
        realAdExchange 25 points (72.2 -> 47.5): anomalies after the first
        fit went unreported. 0: only the first fit counts.
    likelihood_window : int or None
        After the gate, the score is at least the anomaly likelihood of the
        mean of the last ``likelihood_window`` scores against their usual
        level on this series (:class:`~analytics.algorithms.likelihood.AnomalyLikelihood`,
        HTM's anomaly likelihood, re-estimated at each fit from the last
        ``likelihood_history`` points): a run of moderate scores on a quiet
        series is an anomaly though no single point is. NAB dev (with the new
        range): standard 63.6 -> 67.1, low FP 58.4 -> 61.1, realKnownCause
        26.1 -> 47.3, realAWSCloudwatch 72.4 -> 72.2, no category lower by
        more than 1. Without the daily profile it doubled the demo's noise:
        on the first Monday after the weekend every host's CPU, memory and
        latency scores stay at 0.3 for hours (the 33-hour training window of
        1-minute points has not seen a weekday), a run the likelihood rightly
        calls unusual and a person would not. With the profile those points
        are ordinary in context and score 0, and the likelihood is on by
        default (20): NAB dev standard 62.6 -> 65.7, low FP 57.8 -> 60.5,
        realKnownCause 26.5 -> 48.2, realTraffic 63.2 -> 61.6,
        realAWSCloudwatch 73.1 -> 72.6; demo noise 10 -> 18 events, and
        web-2's memory leak found after 10 hours instead of 59. Windows of
        10, 15 and 30 gave standard 66.0, 65.2 and 65.9 but
        artificialWithAnomaly 89.3, 91.0 and 91.0 (10: realTraffic 72.7,
        low FP 59.5); a history of 500, realKnownCause 42.2. None: off.
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
        record is not new. NAB dev standard 60.8 -> 62.6 (realAdExchange
        72.2 -> 78.4); the demo's web-4 outage is found. With the daily
        profile and the likelihood, a margin of one scale instead of two
        gives realTraffic 72.1 instead of 61.6 but 6 more demo noise events
        at score 1 on the disks (records of noise); 1.5 changes no NAB
        category; a new range only where two values in a row pass it costs
        realAdExchange 5.5 points and realTraffic its gain. None: off.
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
        On the demo data (1-minute points) noise events 84 -> 10, all
        injected anomalies found as soon as before; NAB dev standard 62.6 ->
        62.6 (realTraffic 60.9 -> 63.2, realTweets 75.4 -> 74.1,
        realAdExchange 78.4 -> 77.6, the others within 0.2). None: off.

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
        run_level: float = 0.25,
        seasonal_gate: bool = True,
        warmup_seconds: float = 86400.0,
        likelihood_window: int | None = LIKELIHOOD_WINDOW,
        likelihood_history: int = 1000,
        novelty_tolerance: float | None = 0.05,
        profile_seconds: float | None = 7 * 86400.0,
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
        # Changes (smoothed differences), levels (k-means on smoothed values,
        # four centres for multi-level series; against the straight line of a
        # steady trend where one explains 90 % of their variance), one-step
        # residuals and the same phase of earlier cycles (shape and variance
        # changes).
        return [
            KMeansWindowScorer(window=12, smooth=6),
            KMeansWindowScorer(n_clusters=4, window=6, smooth=12, diff=False, trend_r2=0.9),
            ResidualScorer(),
            SeasonalContextScorer(),
        ]

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
        self.likelihood_ = self._new_likelihood()
        self.range_ = None if self.novelty_tolerance is None else NewRange(self.novelty_tolerance)
        self.profile_ = self._new_profile()
        self.context_ = max(s.context_size for s in self._prototypes()) + 1

    def _new_likelihood(self) -> AnomalyLikelihood | None:
        if self.likelihood_window is None:
            return None
        return AnomalyLikelihood(self.likelihood_window, self.likelihood_history)

    def _new_profile(self) -> DailyProfile | None:
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
        self._upgrade()
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

    def _upgrade(self) -> None:
        """Give a detector pickled by an earlier tsmon the state this one keeps."""
        if not hasattr(self, "ts_buffer_"):  # before timestamps were kept: learn the step anew
            self.ts_buffer_ = np.empty(0, np.int64)
        if not hasattr(self, "last_fit_index_"):  # before fits were timed: its last fit by count
            # It fitted before scoring points min_train, min_train + retrain_every, ...
            fitted = bool(self.models_[0]) and self.n_seen_ > self.min_train
            done = (self.n_seen_ - self.min_train - 1) // self.retrain_every * self.retrain_every
            self.last_fit_index_ = self.min_train + done if fitted else None
            self.last_fit_ts_ = None
        if not hasattr(self, "min_retrain_seconds"):
            self.min_retrain_seconds = 0.0  # keep the cadence it was created with
        if not hasattr(self, "warmup_seconds"):  # before the warm-up: what it fed counts
            self.warmup_seconds = 86400.0
            self.n_fits_ = len(self.models_[0])
            # The oldest time it still holds, unless it saw more than it holds:
            # then it has run for longer than its buffer, and is warm.
            held = self.ts_buffer_.size and self.n_seen_ <= self.ts_buffer_.size
            self.first_ts_ = int(self.ts_buffer_[0]) if held else self.last_ts_
            if not held and self.first_ts_ is not None:
                self.first_ts_ -= int(self.warmup_seconds * 1e9)
            self.learning_ = self.n_seen_ == 0
        if not hasattr(self, "novelty_tolerance"):
            # Pickled before the likelihood and the new range: it takes the
            # defaults of a new detector (the range rebuilt from the values
            # it still holds; the likelihood's scores learnt anew).
            self.likelihood_window, self.likelihood_history = LIKELIHOOD_WINDOW, 1000
            self.novelty_tolerance = 0.05
            self.likelihood_ = self._new_likelihood()
            self.range_ = NewRange.from_values(self.buffer_, self.novelty_tolerance)
        if not hasattr(self, "profile_seconds"):
            # Pickled before the daily profile: it takes the default, built
            # from the points it still holds (a day and a half at 1 minute,
            # a week at 5), so its band of the day counts a few days later.
            # The likelihood was off by default then and is on now: it
            # takes that up too (an explicit None then meant the same).
            self.profile_seconds = 7 * 86400.0
            if self.likelihood_window is None:
                self.likelihood_window = LIKELIHOOD_WINDOW
                self.likelihood_ = self._new_likelihood()
            self.profile_ = self._new_profile()
            if self.ts_buffer_.size == self.buffer_.size:
                self.profile_.update(self.ts_buffer_, self.buffer_)

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
            model = copy.deepcopy(prototype)
            if getattr(model, "fit_uses_step", False):
                models.append(model.fit_values(history, step_ns=step_ns))
            elif getattr(model, "fit_uses_time", False):
                # A detector pickled before timestamps were kept may hold fewer times than values.
                times = self.ts_buffer_[-history.size :] if self.ts_buffer_.size >= history.size else None
                models.append(model.fit_values(history, ts=times))
            else:
                models.append(model.fit_values(history))
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
            np.min([_score(m, context, context_ts, n) for m in models], axis=0) for models in self.models_
        ]
        score = combine_scores(per_scorer) if self.combine == "fisher" else np.max(per_scorer, axis=0)
        if self.seasonal_gate:
            score = self._gate(score, per_scorer, context, n, in_daily_band)
        if self.likelihood_ is not None:
            score = np.maximum(score, self.likelihood_.update(score))
        score[new_range] = 1.0
        score[learning] = 0.0
        score[np.isnan(segment)] = np.nan
        expected, half = self._expected(context, n)
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
        noise = 0.0
        for models in self.models_:
            if models and isinstance(models[-1], ResidualScorer):
                noise = models[-1].scale_
                break
        return self.range_.update(segment, NOISE_MARGIN * noise)

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

    def _gate(
        self, score: np.ndarray, per_scorer: list, context: np.ndarray, n: int, in_daily_band: np.ndarray
    ) -> np.ndarray:
        # Inside the daily profile's band a point scores what the seasonal
        # scorer's shape comparison says (0 without a seasonal scorer).
        in_context = np.zeros(n)
        for models, own in zip(self.models_, per_scorer, strict=True):
            latest = models[-1]
            if hasattr(latest, "expected_mask"):
                expected = latest.expected_mask(context[-(latest.context_size + 1 + n) :], n)
                score = np.where(expected, np.minimum(own, score), score)
                in_context = own
        return np.where(in_daily_band, np.minimum(in_context, score), score)

    def _expected(self, context: np.ndarray, n: int) -> tuple[np.ndarray, float]:
        for models in self.models_:
            latest = models[-1]
            if isinstance(latest, ResidualScorer):
                return latest.expected_values(context, n), latest.half_width_
        return np.full(n, np.nan), np.nan

    def _apply_events(self, result: Detections) -> None:
        # Events are sequential (an alarm silences the next `refractory` points),
        # but only the few points above alarm_level need the loop.
        first = self.n_seen_ - result.score.size
        damped = np.zeros(result.score.size, bool)
        damped[: max(0, min(result.score.size, self.quiet_until_ - first))] = True
        for i in np.flatnonzero(result.score >= self.alarm_level):
            if first + i >= self.quiet_until_:
                result.alarm[i] = True
                self.quiet_until_ = first + i + 1 + self.refractory
                damped[i + 1 : i + 1 + self.refractory] = True
        damped |= self._repeats_in_runs(result.score)
        result.raw_score = result.score.copy()
        result.score[damped] *= self.damping

    def _repeats_in_runs(self, score: np.ndarray) -> np.ndarray:
        """True where a point of a run of scores >= run_level is no higher than an earlier one."""
        # Detectors pickled before runs were tracked take the default level.
        level = getattr(self, "run_level", 0.25)
        x = np.nan_to_num(score)
        high = x >= level
        if not high.any():
            self.run_max_ = 0.0 if x.size else getattr(self, "run_max_", 0.0)
            return np.zeros(x.size, bool)
        # The high points, after the last call's run maximum (0: none), which
        # run 0 continues; runs are numbered by the low points before them.
        values = np.concatenate([[getattr(self, "run_max_", 0.0)], x[high]])
        run = np.concatenate([[0], np.cumsum(~high)[high]])
        # Integer ranks offset by run make one running maximum restart at each
        # run, exactly (float offsets would round).
        rank = np.searchsorted(np.sort(values), values)  # equal values, equal ranks
        key = rank + (values.size + 1) * run
        repeat = np.zeros(x.size, bool)
        repeat[high] = key[1:] <= np.maximum.accumulate(key)[:-1]
        self.run_max_ = float(values[run == run[-1]].max()) if high[-1] else 0.0
        return repeat


def _score(model, context: np.ndarray, context_ts: np.ndarray, n: int) -> np.ndarray:
    """One fitted scorer's scores of the last ``n`` points, from the history it needs."""
    size = model.context_size + 1 + n
    values = context[-size:]
    if getattr(model, "fit_uses_time", False) and context_ts.size >= values.size:
        return model.score_values(values, n, ts=context_ts[-values.size :])
    return model.score_values(values, n)


def concat_detections(parts: list[Detections]) -> Detections:
    """The detections of consecutive calls as one."""
    if not parts:
        empty = np.empty(0)
        return Detections(empty, empty, empty, empty, np.empty(0, np.int8), np.empty(0, bool))
    fields = Detections.__dataclass_fields__
    return Detections(
        **{
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in fields
            if getattr(parts[0], name) is not None
        }
    )


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
