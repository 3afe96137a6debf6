using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Relay.HttpProxy.Problems;

[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(string))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext;
