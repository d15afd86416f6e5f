"""The APScheduler side: timers derived from stored state (never the source of truth), and delivery."""
