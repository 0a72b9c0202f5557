"""Statistical methods: pure functions over counts and arrays, no study or file concepts."""
