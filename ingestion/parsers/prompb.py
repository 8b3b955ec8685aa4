"""Prometheus remote write 1.0's messages for the protobuf runtime, built
from their definition (prometheus/prompb/remote.proto and types.proto) at
import, without generated code or protoc::

    message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
    message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
                           repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
    message Label        { string name = 1; string value = 2; }
    message Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms

Only what tsmon reads is declared: metadata, exemplars and native
histograms are fields the runtime skips as unknown. Label names and values
are declared as bytes (the same wire format as strings) and decoded by the
parser.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_FIELD = descriptor_pb2.FieldDescriptorProto
_MESSAGES = {
    # Bytes, not string: the parser decodes them, so that a label that is not
    # UTF-8 is named as such (the runtime would only say "error parsing").
    "Label": [("name", _FIELD.TYPE_BYTES, ""), ("value", _FIELD.TYPE_BYTES, "")],
    "Sample": [("value", _FIELD.TYPE_DOUBLE, ""), ("timestamp", _FIELD.TYPE_INT64, "")],
    "TimeSeries": [("labels", _FIELD.TYPE_MESSAGE, "Label"), ("samples", _FIELD.TYPE_MESSAGE, "Sample")],
    "WriteRequest": [("timeseries", _FIELD.TYPE_MESSAGE, "TimeSeries")],
}


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="tsmon/prompb.proto", package="prometheus", syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for number, (field, kind, of) in enumerate(fields, 1):
            declared = message.field.add(name=field, number=number, type=kind, label=_FIELD.LABEL_OPTIONAL)
            if of:  # a repeated message field
                declared.label, declared.type_name = _FIELD.LABEL_REPEATED, f".prometheus.{of}"
    return file


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file())
WriteRequest = message_factory.GetMessageClass(_pool.FindMessageTypeByName("prometheus.WriteRequest"))
