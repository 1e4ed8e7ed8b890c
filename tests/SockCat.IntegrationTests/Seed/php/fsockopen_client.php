<?php
// The seed's fsockopen client, as written, with its lost backslashes restored ("n" -> "\n", "rn" -> "\r\n").
// Added: host, port and message from argv (the seed's values by default), and an optional fourth argument "shut":
// the seed talks to an HTTP server, which closes after its answer, so `while (!feof($fp))` ends; an echo server
// waits for the client instead, so with "shut" the client half-closes after writing (its FIN says "that was all").
//   php fsockopen_client.php [HOST] [PORT] [MESSAGE] [shut]
$host = $argv[1] ?? "www.google.com";
$port = (int)($argv[2] ?? 80);

$fp = fsockopen($host, $port, $errno, $errstr, 30);
if (!$fp) {
    echo "$errstr ($errno)<br />\n";
} else {
    $out = $argv[3] ?? "GET / HTTP/1.1\r\n\r\n";
    ///Send data
    fwrite($fp, $out);
    if (($argv[4] ?? "") === "shut") {
        stream_socket_shutdown($fp, STREAM_SHUT_WR);
    }
    ///Receive data - in small chunks :)
    while (!feof($fp)) {
        echo fgets($fp, 128);
    }
    fclose($fp);
}
