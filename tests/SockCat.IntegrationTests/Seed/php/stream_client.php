<?php
// The seed's stream_socket_client client, with its lost backslashes restored ("n" -> "\n", "rn" -> "\r\n").
// The seed shows only the connect and its error check, saying it "can do the same thing as fsockopen": the rest is
// the seed's fsockopen program. Added: host, port and message from argv (the seed's values by default), and an
// optional fourth argument "shut" to half-close after writing (see fsockopen_client.php for why).
//   php stream_client.php [HOST] [PORT] [MESSAGE] [shut]
$host = $argv[1] ?? "www.google.com";
$port = (int)($argv[2] ?? 80);

$fp = stream_socket_client("tcp://$host:$port", $errno, $errstr, 30);
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
