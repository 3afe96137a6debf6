namespace Relay.Layer1.Faults;

/// <summary>What a rehearsal link does to files: each probability applies to each file independently.</summary>
public sealed record FaultProfile
{
    /// <summary>Probability that a file is never delivered.</summary>
    public double Loss { get; init; }

    /// <summary>Probability that a file is delivered twice (the second copy later).</summary>
    public double Duplicate { get; init; }

    /// <summary>Probability that a delivered file is cut short, keeping its final name.</summary>
    public double Truncate { get; init; }

    /// <summary>Probability that 1–8 random bits of a delivered file are flipped.</summary>
    public double Corrupt { get; init; }

    /// <summary>Probability that a copy is kept and delivered again after <see cref="ReplayDelay"/>.</summary>
    public double Replay { get; init; }

    /// <summary>Each delivery waits a uniform random time up to this, so files overtake each other.</summary>
    public TimeSpan MaxDelay { get; init; }

    public TimeSpan ReplayDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bytes of delayed and replayed copies held at once; past it copies go without delay and replays are dropped.</summary>
    public long MaxHeldBytes { get; init; } = 256L * 1024 * 1024;

    public int Seed { get; init; }

    public static FaultProfile Lossless { get; } = new();

    /// <exception cref="ArgumentException">A value is out of range; the message names the property.</exception>
    public void Validate()
    {
        CheckProbability(Loss, nameof(Loss));
        CheckProbability(Duplicate, nameof(Duplicate));
        CheckProbability(Truncate, nameof(Truncate));
        CheckProbability(Corrupt, nameof(Corrupt));
        CheckProbability(Replay, nameof(Replay));
        if (MaxDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MaxDelay)} must not be negative.", nameof(MaxDelay));
        }

        if (ReplayDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(ReplayDelay)} must not be negative.", nameof(ReplayDelay));
        }

        if (MaxHeldBytes < 0)
        {
            throw new ArgumentException($"{nameof(MaxHeldBytes)} must not be negative.", nameof(MaxHeldBytes));
        }
    }

    private static void CheckProbability(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            throw new ArgumentException($"{name} must be a probability between 0 and 1, not {value}.", name);
        }
    }
}
