using Relay.Host.Configuration;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// A test class over one <see cref="RelayPair"/> on a lossless folder with a <see cref="TestCallee"/>
/// behind it, started before each test and stopped after; subclasses say how the nodes differ.
/// </summary>
public abstract class LosslessRelayTest : IAsyncLifetime, IDisposable
{
    private protected TemporaryFolder Folder { get; } = new();

    private protected TestCallee Callee { get; private set; } = null!;

    private protected RelayPair Relay { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Callee = await TestCallee.StartAsync();
        Relay = await RelayPair.StartAsync(Folder, TargetOf(Callee), FaultProfile.Lossless, ConfigureA, ConfigureB);
    }

    public async Task DisposeAsync()
    {
        // Requests a test left waiting at the gate must not hold up the stop.
        Callee.GateOpen.TrySetResult();
        await Relay.DisposeAsync();
        await Callee.DisposeAsync();
    }

    public void Dispose()
    {
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The base URL site-a's routes point at.</summary>
    private protected virtual string TargetOf(TestCallee callee) => callee.BaseUrl;

    private protected virtual void ConfigureA(RelayOptions a)
    {
    }

    private protected virtual void ConfigureB(RelayOptions b)
    {
    }
}
