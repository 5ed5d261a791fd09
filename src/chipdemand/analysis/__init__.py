"""What is read off a run: summaries, streamed summaries, sensitivity, conditioning on
observations, and the replay of a report's own numbers."""
