using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Relay.Layer1.Tests.Support;

/// <summary>A logger whose entries can be awaited one by one, in the order they were written.</summary>
internal sealed class EventRecordingLogger : ILogger
{
    private readonly Channel<(int EventId, string Message)> _entries = Channel.CreateUnbounded<(int, string)>();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Writer.TryWrite((eventId.Id, formatter(state, exception)));

    /// <summary>The next entry with <paramref name="eventId"/>, skipping others; fails after <paramref name="timeout"/> (30 s when null).</summary>
    public async Task<string> NextAsync(int eventId, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var (id, message) = await _entries.Reader.ReadAsync(cancellation.Token);
            if (id == eventId)
            {
                return message;
            }
        }
    }
}
