using System.Globalization;
using Microsoft.AspNetCore.Http;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary><c>GET /relay/requests/{id}</c>: 202 while a request answered 202 is pending, then its kept response, 404 once that has expired.</summary>
internal sealed class AsyncResponseEndpoint(IngressOptions options, AsyncRequestStore store, TimeProvider time)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    public async Task ServeAsync(HttpContext context, string id)
    {
        var request = Guid.TryParse(id, out var guid) ? await store.FindAsync(guid).ConfigureAwait(false) : null;
        if (request is null || request.Completed is { } completed && time.GetUtcNow() - completed > options.AsyncResponseLifetime)
        {
            await RelayProblem.WriteAsync(context, RelayProblem.UnknownRequest(id)).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        switch (request.State)
        {
            case AsyncState.Pending or AsyncState.Receiving:
                response.StatusCode = StatusCodes.Status202Accepted;
                response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await response.WriteAsJsonAsync(new AsyncAcceptedDocument(id, "pending", AsyncRequests.LocationPrefix + id), AsyncJsonContext.Default.AsyncAcceptedDocument, cancellationToken: context.RequestAborted)
                    .ConfigureAwait(false);
                return;
            case AsyncState.Failed:
                response.StatusCode = request.Status ?? StatusCodes.Status502BadGateway;
                response.ContentType = RelayProblem.ContentType;
                await response.Body.WriteAsync(request.Head ?? [], context.RequestAborted).ConfigureAwait(false);
                return;
        }

        if (request.ResponseHead is not { } head)
        {
            // Kept by a node that wrote another head format: what it kept cannot be given back.
            await RelayProblem.WriteAsync(context, RelayProblem.StreamReset(ResetReason.ProtocolViolation)).ConfigureAwait(false);
            return;
        }

        response.StatusCode = head.Status;
        head.Headers.AppendTo(response.Headers);

        if (head.ContentLength is { } length && head.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified))
        {
            response.ContentLength = length;
        }

        await using var body = store.Bodies.OpenReader(guid, request.DeclaredLength);
        if (await body.CopyWholeAsync(response.Body, context.RequestAborted).ConfigureAwait(false) == KeptBodyCopy.Broken)
        {
            // The head has gone: only breaking the connection tells the poller the body is not whole.
            context.Abort();
        }
    }
}
