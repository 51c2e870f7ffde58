"""Plain transcriptions of the definitions that the fast implementations
in mmwsss are tested (and benchmarked) against."""
