"""The run's options: the flow's parameters and their help, the environment, the resolved run."""
