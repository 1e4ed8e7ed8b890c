<?php
// The seed tutorial's multi-client stream_select echo server (/work/shared/seed/000_c7668bc101a94a63.txt),
// as written there, with two changes for benchmarking: the port (and address) come from argv, and an empty read
// is a disconnect rather than any falsy read (`!$data` also closes a client that sends the single byte "0").
// A stand-in until the seed port lands at tests/SockCat.IntegrationTests/Seed/php/multi_server.php.
$port = $argv[1] ?? 4444;
$server = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errorMessage);
if ($server === false) {
    die("Could not bind to socket: $errorMessage");
}
$client_socks = array();
while (true) {
    //prepare readable sockets
    $read_socks = $client_socks;
    $read_socks[] = $server;
    //start reading and use a large timeout
    if (!stream_select($read_socks, $write, $except, 300000)) {
        die('something went wrong while selecting');
    }
    //new client
    if (in_array($server, $read_socks)) {
        $new_client = stream_socket_accept($server);
        if ($new_client) {
            //print remote client information, ip and port number
            echo 'Connection accepted from ' . stream_socket_get_name($new_client, true) . "\n";
            $client_socks[] = $new_client;
            echo "Now there are total " . count($client_socks) . " clients.\n";
        }
        //delete the server socket from the read sockets
        unset($read_socks[array_search($server, $read_socks)]);
    }
    //message from existing client
    foreach ($read_socks as $sock) {
        $data = fread($sock, 128);
        if ($data === false || $data === '') {
            unset($client_socks[array_search($sock, $client_socks)]);
            @fclose($sock);
            echo "A client disconnected. Now there are total " . count($client_socks) . " clients.\n";
            continue;
        }
        //send the message back to client
        fwrite($sock, $data);
    }
}
