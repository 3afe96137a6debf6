namespace Relay.HttpProxy.Exit;

/// <summary>An <see cref="ExitOutcome"/> with what the step that saw it knows about it.</summary>
/// <param name="Outcome">How the request ended.</param>
/// <param name="Detail">Words for the caller (why the callee could not be reached), or null.</param>
/// <param name="Error">The exception behind it, for the log, or null.</param>
internal readonly record struct CalleeCallResult(ExitOutcome Outcome, string? Detail = null, Exception? Error = null)
{
    public static CalleeCallResult Served { get; } = new(ExitOutcome.Served);

    /// <summary>True when the caller got an answer it can take as whole, so the exchange may be kept for repeats.</summary>
    public bool IsServed => Outcome == ExitOutcome.Served;
}
