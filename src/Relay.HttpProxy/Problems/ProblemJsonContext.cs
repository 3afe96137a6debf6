using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Relay.HttpProxy.Problems;

[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext;
