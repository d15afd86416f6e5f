"""Pure logic: releases, countdown wording, the announcement plan. No I/O, no discord; time comes in as `now`."""
