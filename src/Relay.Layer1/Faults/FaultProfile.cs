namespace Relay.Layer1.Faults;

/// <summary>
/// What a rehearsal link does to files. Each probability applies to each file independently; the
/// link model (<see cref="SweepEvery"/>, <see cref="Latency"/>, <see cref="BandwidthBytesPerSecond"/>,
/// <see cref="MaxFileBytes"/>, <see cref="Blocked"/>) acts as a scheduled mirror or a diode does.
/// </summary>
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

    /// <summary>Files are taken only at sweeps this far apart (a mirror's schedule); zero takes each file as it appears.</summary>
    public TimeSpan SweepEvery { get; init; }

    /// <summary>A fixed delay added to every delivery.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>The link's capacity in bytes per second: files are sent one after another, each taking its size ÷ this; zero is unlimited.</summary>
    public long BandwidthBytesPerSecond { get; init; }

    /// <summary>Files larger than this are cut to it, keeping their final name, as mirrors do with big files; zero is no limit.</summary>
    public long MaxFileBytes { get; init; }

    /// <summary>Nothing goes this way (the back direction of a data diode): every file is taken and discarded.</summary>
    public bool Blocked { get; init; }

    /// <summary>True when the link holds files back on a schedule, a delay or a rate, rather than only reordering them.</summary>
    public bool ModelsLink => SweepEvery > TimeSpan.Zero || Latency > TimeSpan.Zero || BandwidthBytesPerSecond > 0;

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

        if (SweepEvery < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(SweepEvery)} must not be negative.", nameof(SweepEvery));
        }

        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Latency)} must not be negative.", nameof(Latency));
        }

        if (BandwidthBytesPerSecond < 0)
        {
            throw new ArgumentException($"{nameof(BandwidthBytesPerSecond)} must not be negative.", nameof(BandwidthBytesPerSecond));
        }

        if (MaxFileBytes < 0)
        {
            throw new ArgumentException($"{nameof(MaxFileBytes)} must not be negative.", nameof(MaxFileBytes));
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
