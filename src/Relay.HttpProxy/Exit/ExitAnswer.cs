using Microsoft.AspNetCore.Mvc;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>What the caller's side is sent for an outcome: a problem response, a reset, or nothing.</summary>
/// <param name="Problem">The problem to answer with, or null.</param>
/// <param name="ExtraHeaders">Headers the problem response carries besides its content type.</param>
/// <param name="Reset">The reset to send when a response head has already gone, or null.</param>
internal sealed record ExitAnswer(ProblemDetails? Problem, HeaderList ExtraHeaders, ResetReason? Reset)
{
    /// <summary>Nothing more is sent: the caller has its answer, or nobody waits for one.</summary>
    public static ExitAnswer None { get; } = new(null, HeaderList.Empty, null);

    public static ExitAnswer Of(ProblemDetails problem, HeaderList? extraHeaders = null) => new(problem, extraHeaders ?? HeaderList.Empty, null);

    public static ExitAnswer ResetWith(ResetReason reason) => new(null, HeaderList.Empty, reason);
}
