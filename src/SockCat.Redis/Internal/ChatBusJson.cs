using System.Text.Json.Serialization;
using SockCat.Services.Chat;

namespace SockCat.Redis.Internal;

// Messages cross Redis as JSON (readable in redis-cli MONITOR), made without reflection.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ChatBusMessage))]
internal sealed partial class ChatBusJson : JsonSerializerContext;
