"""Defaults of the streaming detector, with the measurements that chose them.

Both a new detector and the upgrade of an old pickled one take these, so
that the two cannot drift apart. NAB figures are on the 42 NAB dev files
the README's detection table uses, demo figures on bench/detection_noise.py's data.
"""

# Scores whose mean the anomaly likelihood judges (HTM's short window).
# The figures are in the README (windows of 10, 15 and 30 were tried).
LIKELIHOOD_WINDOW = 20
# Points whose mean scores make the likelihood's usual level: three and a
# half days at NAB's 5 minutes; 2000 cost realKnownCause 7 points (the level
# then lags a series whose noise changes), 500 cost it 6.
LIKELIHOOD_HISTORY = 1000

# How far past the range seen a value must go to be new, as a fraction of
# it: NAB standard 60.8 -> 62.6 (realAdExchange 72.2 -> 78.4), and the demo's
# web-4 outage is found. The other margins tried are in the README.
NOVELTY_TOLERANCE = 0.05

# History of the daily profile: a week, so a weekday after a weekend is
# known. On the demo data (1-minute points) noise events 84 -> 10, every
# injected anomaly found as soon as before; NAB standard 62.6 -> 62.6
# (realTraffic 60.9 -> 63.2, realTweets 75.4 -> 74.1, realAdExchange 78.4 ->
# 77.6, the others within 0.2).
PROFILE_SECONDS = 7 * 86400.0

# Warm-up: a day. At 1-minute points the first fit sees 5 night hours and
# the morning rise is then "unusual": on the demo data 146 of 302 noise events
# came in the first 24 hours. Waiting also for the agreement of two fits
# (n_models) cost NAB's hourly realAdExchange 25 points (72.2 -> 47.5):
# anomalies after the first fit went unreported.
WARMUP_SECONDS = 86400.0

# Score a run of high scores stays at or above. NAB's figures are the same
# for any level from 0.1 to 0.44 (standard 75.25 -> 75.55, low FP 72.47 ->
# 73.08).
RUN_LEVEL = 0.25
