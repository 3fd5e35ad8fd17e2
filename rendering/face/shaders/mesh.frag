#version 330 core
// mesh.vert and mesh_depth.* beside this file are pyrender's own shaders (MIT), copied
// because pyrender loads every shader of a program from one folder.
// A cheap face shader replacing pyrender's PBR one (which costs ~3x more per pixel on a
// software rasteriser): Lambert from the directional lights, a soft Blinn highlight and
// ambient, on the material's base colour (times its colour map where the part has one, see
// paint.py; the map is linear values, not sRGB). Same uniform names as pyrender's shader.

struct DirectionalLight {
    vec3 color;
    float intensity;
    vec3 direction;
};

struct Material {
    vec3 emissive_factor;
    vec4 base_color_factor;
    float metallic_factor;
    float roughness_factor;
#ifdef HAS_BASE_COLOR_TEX
    sampler2D base_color_texture;
#endif
};

uniform Material material;
uniform DirectionalLight directional_lights[MAX_DIRECTIONAL_LIGHTS];
uniform int n_directional_lights;
uniform vec3 cam_pos;
uniform vec3 ambient_light;

in vec3 frag_position;
in vec3 frag_normal;
#ifdef TEXCOORD_0_LOC
in vec2 uv_0;
#endif
out vec4 frag_color;

void main()
{
    vec3 n = normalize(frag_normal);
    vec3 v = normalize(cam_pos - frag_position);
    if (dot(n, v) < 0.0) n = -n;  // double-sided
    vec3 base = material.base_color_factor.rgb;
#ifdef HAS_BASE_COLOR_TEX
    base = texture(material.base_color_texture, uv_0).rgb;
#endif
    vec3 color = ambient_light * base * 2.0;
    for (int i = 0; i < n_directional_lights; i++) {
        vec3 l = normalize(-directional_lights[i].direction);
        vec3 radiance = directional_lights[i].color * directional_lights[i].intensity / 3.14159;
        float diffuse = max(dot(n, l), 0.0);
        float highlight = pow(max(dot(n, normalize(l + v)), 0.0), 24.0) * 0.12;
        color += radiance * (base * diffuse + highlight);
    }
    frag_color = vec4(clamp(pow(color, vec3(1.0 / 2.2)), 0.0, 1.0), 1.0);
}
