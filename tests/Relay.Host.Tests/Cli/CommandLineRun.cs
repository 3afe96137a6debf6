using System.CommandLine;
using Relay.Host.Cli;

namespace Relay.Host.Tests.Cli;

/// <summary>Runs a <c>relay</c> command line in process and captures what it prints.</summary>
internal sealed class CommandLineRun : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public string Output => _output.ToString();

    public string Error => _error.ToString();

    public void Dispose()
    {
        _output.Dispose();
        _error.Dispose();
    }

    public Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default) =>
        RelayCommandLine.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error }, cancellationToken);
}
