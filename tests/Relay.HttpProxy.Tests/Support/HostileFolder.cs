using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>The folder end-to-end tests run through: 15% loss, 10% duplicates, 5% truncation, 5% corruption, up to 30 ms of reordering.</summary>
internal static class HostileFolder
{
    public static FaultProfile Profile(int seed) => new()
    {
        Loss = 0.15,
        Duplicate = 0.10,
        Truncate = 0.05,
        Corrupt = 0.05,
        MaxDelay = TimeSpan.FromMilliseconds(30),
        Seed = seed,
    };
}
