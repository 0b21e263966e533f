package cli

// Exit statuses of hotstack-os commands.
const (
	ExitOK = 0
	// ExitFailure is any error.
	ExitFailure = 1
	// ExitChangesPending: `mage plan` found something to change (as
	// terraform plan -detailed-exitcode).
	ExitChangesPending = 2
	// ExitUsage: the command line was wrong.
	ExitUsage = 2
	// ExitInterrupted: Ctrl-C or SIGTERM (128 + SIGINT).
	ExitInterrupted = 130
)
