using Microsoft.Extensions.Options;

namespace Relay.Layer1;

/// <summary>Checks <see cref="Layer1Options"/> at start-up; each failure names the setting.</summary>
public sealed class Layer1OptionsValidator : IValidateOptions<Layer1Options>
{
    /// <summary>Smallest file bound: room for the envelope and a useful amount of data.</summary>
    public const int MinFileBytes = 16 * 1024;

    public ValidateOptionsResult Validate(string? name, Layer1Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Require(failures, !string.IsNullOrWhiteSpace(options.StateDirectory), nameof(options.StateDirectory), "is required");
        Require(failures, !string.IsNullOrWhiteSpace(options.Outbox), nameof(options.Outbox), "is required");
        Require(failures, !string.IsNullOrWhiteSpace(options.Inbox), nameof(options.Inbox), "is required");
        Require(failures, options.MaxFileBytes >= MinFileBytes, nameof(options.MaxFileBytes), $"must be at least {MinFileBytes}");
        Require(failures, options.Linger >= TimeSpan.Zero && options.Linger <= TimeSpan.FromSeconds(1), nameof(options.Linger), "must be between 0 and 1 second");
        Require(failures, options.AckDelay >= TimeSpan.Zero && options.AckDelay <= TimeSpan.FromSeconds(10), nameof(options.AckDelay), "must be between 0 and 10 seconds");
        Require(failures, options.MinRetransmitTimeout > TimeSpan.Zero, nameof(options.MinRetransmitTimeout), "must be positive");
        Require(failures, options.InitialRetransmitTimeout >= options.MinRetransmitTimeout, nameof(options.InitialRetransmitTimeout), "must be at least MinRetransmitTimeout");
        Require(failures, options.MaxRetransmitTimeout >= options.InitialRetransmitTimeout, nameof(options.MaxRetransmitTimeout), "must be at least InitialRetransmitTimeout");
        Require(failures, options.ExpectedDelay >= TimeSpan.Zero && options.ExpectedDelay <= options.MaxRetransmitTimeout, nameof(options.ExpectedDelay), "must be between 0 and MaxRetransmitTimeout");
        Require(failures, options.MaxUnacknowledgedBytes >= options.MaxFileBytes, nameof(options.MaxUnacknowledgedBytes), "must be at least MaxFileBytes");
        Require(failures, options.MaxUnacknowledgedInMemoryBytes > 0, nameof(options.MaxUnacknowledgedInMemoryBytes), "must be positive");
        Require(failures, options.MaxHeldBytes >= options.MaxFileBytes, nameof(options.MaxHeldBytes), "must be at least MaxFileBytes");
        Require(failures, options.MaxHeldInMemoryBytes >= options.MaxFileBytes, nameof(options.MaxHeldInMemoryBytes), "must be at least MaxFileBytes (a fragment is at most one file's body, and memory must hold the one the stream waits for)");
        Require(failures, options.MaxHeldInMemoryBytes <= options.MaxHeldBytes, nameof(options.MaxHeldInMemoryBytes), "must be at most MaxHeldBytes (which bounds memory and disk together)");
        Require(failures, options.PollInterval > TimeSpan.Zero, nameof(options.PollInterval), "must be positive");
        Require(failures, options.LoopRestartDelay > TimeSpan.Zero && options.LoopRestartDelay <= TimeSpan.FromMinutes(1), nameof(options.LoopRestartDelay), "must be positive and at most a minute");
        Require(failures, options.MaxFileAge > TimeSpan.Zero, nameof(options.MaxFileAge), "must be positive");
        Require(failures, options.OwnFileRetention > TimeSpan.Zero, nameof(options.OwnFileRetention), "must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Require(List<string> failures, bool condition, string key, string rule)
    {
        if (!condition)
        {
            failures.Add($"{key} {rule}.");
        }
    }
}
