<?php
// The seed's single-client echo server, as written, with its lost backslashes restored ("n" -> "\n").
// Added: host and port from argv (the seed's 0.0.0.0 4444 by default).
//   php single_server.php [HOST] [PORT]
// As in the seed, stream_socket_get_name($client, false) names the server's own address, not the client's.
$host = $argv[1] ?? "0.0.0.0";
$port = (int)($argv[2] ?? 4444);

$server = stream_socket_server("tcp://$host:$port", $errno, $errorMessage);

if ($server === false)
{
    throw new UnexpectedValueException("Could not bind to socket: $errorMessage");
}

for (;;)
{
    $client = stream_socket_accept($server);

    if ($client)
    {
        echo 'Connection accepted from '.stream_socket_get_name($client, false) . "\n";

        stream_copy_to_stream($client, $client);

        fclose($client);
    }
}
