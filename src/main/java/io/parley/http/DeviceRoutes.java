package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.api.Json;
import io.parley.notification.NotificationWire.Device;
import io.parley.notification.NotificationWire.DeviceList;
import io.parley.notification.NotificationWire.RegisterDevice;
import io.parley.notification.Notifications;

/** The push tokens of the signed-in user's devices, under {@code /api/devices}. */
public final class DeviceRoutes {
  private final Notifications notifications;
  private final Authentication authentication;
  private final RequestBodies bodies;

  public DeviceRoutes(Notifications notifications, Authentication authentication, RequestBodies bodies) {
    this.notifications = notifications;
    this.authentication = authentication;
    this.bodies = bodies;
  }

  public Route route() {
    return pathPrefix(
        "devices",
        () ->
            authentication.user(
                user ->
                    concat(
                        pathEndOrSingleSlash(
                            () ->
                                concat(
                                    post(
                                        () ->
                                            bodies.json(
                                                RegisterDevice.class,
                                                body ->
                                                    onSuccess(
                                                        notifications.registerDevice(
                                                            user.userId(), body.token(), body.platform()),
                                                        done -> complete(StatusCodes.NO_CONTENT)))),
                                    get(
                                        () ->
                                            onSuccess(
                                                notifications.devices(user.userId()),
                                                devices ->
                                                    complete(
                                                        StatusCodes.OK,
                                                        new DeviceList(devices.stream().map(Device::of).toList()),
                                                        Json.marshaller()))))),
                        path(
                            segment(),
                            token ->
                                delete(
                                    () ->
                                        onSuccess(
                                            notifications.unregisterDevice(user.userId(), token),
                                            done -> complete(StatusCodes.NO_CONTENT)))))));
  }
}
